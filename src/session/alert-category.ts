/**
 * Alert categories: libtorrent's `alert_category` bit values (include/libtorrent/alert.hpp, 2.0),
 * checked against python3-libtorrent 2.0.8's `alert.category_t`.
 *
 * One deliberate difference: libtorrent 2.0's `all` is every bit of a uint32 (0xffffffff). JS bitwise
 * operators work on signed 32-bit integers, where that value is -1; we use 0x7fffffff, which holds every
 * category libtorrent defines (the highest is block_progress, bit 24) and stays a positive number.
 * The `alertMask` setting accepts 0xffffffff too and treats it as {@link alertCategory.all}.
 */
export const alertCategory = {
  error: 0x1,
  peer: 0x2,
  portMapping: 0x4,
  storage: 0x8,
  tracker: 0x10,
  connect: 0x20,
  status: 0x40,
  ipBlock: 0x100,
  performanceWarning: 0x200,
  dht: 0x400,
  /** libtorrent's `stats_notification` (deprecated there; session_stats is always posted). */
  stats: 0x800,
  sessionLog: 0x2000,
  torrentLog: 0x4000,
  peerLog: 0x8000,
  incomingRequest: 0x10000,
  dhtLog: 0x20000,
  dhtOperation: 0x40000,
  portMappingLog: 0x80000,
  pickerLog: 0x100000,
  fileProgress: 0x200000,
  pieceProgress: 0x400000,
  upload: 0x800000,
  blockProgress: 0x1000000,
  all: 0x7fffffff,
} as const;

/** A bitmask of {@link alertCategory} values. */
export type AlertCategoryMask = number;

/** Normalises a user-supplied mask: 0xffffffff and -1 (libtorrent's "all") become {@link alertCategory.all}. */
export function normaliseAlertMask(mask: number): number {
  return (mask >>> 0) >= 0x7fffffff ? alertCategory.all : mask >>> 0;
}

/**
 * Session settings shared by the interop tests: our sessions listen on loopback only, accept several
 * peers from 127.0.0.1 (every program under test lives there) and start no discovery or port mapping of
 * their own, so each test decides exactly which peers meet.
 */
import { alertCategory } from '../../../entry/node.js';
import type { SettingsPack } from '../../../entry/node.js';

/** Loopback listen, several connections per IP, DHT / LSD / UPnP / NAT-PMP off. */
export const LOOPBACK_SETTINGS: Readonly<Partial<SettingsPack>> = {
  listenInterfaces: '127.0.0.1:0',
  allowMultipleConnectionsPerIp: true,
  enableDht: false,
  enableLsd: false,
  enableUpnp: false,
  enableNatpmp: false,
};

/** The alerts interop tests collect to explain a failure: errors, state, connections and storage. */
export const INTEROP_ALERTS = alertCategory.error | alertCategory.status | alertCategory.connect | alertCategory.storage;

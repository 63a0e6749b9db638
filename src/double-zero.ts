/**
 * A zero that V8 keeps as a double: the start value of a field that will later hold fractions or integers
 * past 2^31.
 *
 * V8 lays out a field first set to a small integer as an integer field. The first fraction written into it
 * (a `performance.now()` timestamp, a decayed rate) changes the field's representation, which gives the
 * object a new hidden class and deoptimises every optimised function that had checked the old one: on a
 * 1 GiB download, the swarm's first tick threw the whole receive path (decoder, connection, swarm,
 * downloader) back to the interpreter to be compiled again. Byte counters do the same when they pass 2^31
 * (the integer range of Node's 64-bit builds). `-0` is never stored as an integer, so such a field is a double
 * from the start. It compares equal to 0 (`-0 === 0`), adds as 0 and prints as "0".
 */
export const DOUBLE_ZERO = -0;

// Types for the npm `bencode` 4.x package, used only as an encoding oracle in tests.
declare module 'bencode' {
  const bencode: {
    encode(value: unknown): Uint8Array;
  };
  export default bencode;
}

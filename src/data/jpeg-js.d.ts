// The part of jpeg-js's decoder (CommonJS, untyped) that decodeImage calls.
declare module 'jpeg-js/lib/decoder.js' {
  interface JpegDecodeOptions {
    useTArray?: boolean;
    formatAsRGBA?: boolean;
    tolerantDecoding?: boolean;
    maxResolutionInMP?: number;
    maxMemoryUsageInMB?: number;
  }
  function decode(bytes: Uint8Array | ArrayBuffer, options?: JpegDecodeOptions): { width: number; height: number; data: Uint8Array };
  export default decode;
}

/**
 * Typed decoding errors. Every malformed byte string that reaches a decoder
 * (transaction, block, header, P2P payload) ends in a CodecError with a stable
 * `code`; callers map it to a ban score or an RPC error without parsing text.
 */
export type CodecErrorCode =
  | 'TRUNCATED' // fewer bytes than the structure needs
  | 'TRAILING_BYTES' // bytes left after a complete structure
  | 'OVERSIZE' // a length or count larger than the input could hold / a protocol cap
  | 'NON_MINIMAL_VARINT' // CompactSize not minimally encoded (would change MVS's txid)
  | 'NUL_IN_STRING' // varstr with a NUL byte (MVS truncates it and so hashes differently)
  | 'BAD_ASSET_STATUS' // asset attachment status other than 1 or 2 (the reference fails the parse)
  | 'BAD_DID_STATUS' // DID attachment status other than 1 or 2
  | 'BAD_VALUE' // a field with a value the format forbids
  | 'BAD_HEX' // malformed hex text
  | 'BAD_MAGIC' // P2P frame with the wrong network magic
  | 'BAD_CHECKSUM' // P2P payload checksum mismatch
  | 'BAD_COMMAND' // P2P command not routable by the reference
  | 'BAD_ENCODING'; // anything else structurally impossible

export class CodecError extends Error {
  readonly code: CodecErrorCode;
  constructor(code: CodecErrorCode, message: string) {
    super(message);
    this.name = 'CodecError';
    this.code = code;
  }
}

export function isCodecError(err: unknown): err is CodecError {
  return err instanceof CodecError;
}

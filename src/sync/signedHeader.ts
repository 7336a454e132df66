// Signed headers travel in root updates and equivocation evidence with the domain layer's one
// canonical encoding.
export {
  decodeSignedHeader,
  encodeSignedHeader,
  HEADER_SIGNATURE_BYTES,
  readSignedHeader,
  writeSignedHeader,
} from '../domain/index.js';

// The control socket's wire protocol: one JSON object per line each way. A request is
// {v, id, op, args}; its answer is {v, id, ok: true, result} or {v, id, ok: false, error: {code,
// message}}. A streamed answer (a large connection listing) is several {ok: true, more: true,
// result} lines before the final one. Decoding a request never throws: whatever arrives, the
// sender gets an error reply it can read.

export const PROTOCOL_VERSION = 1;

/** Why a request failed, for programs; the message is for people. */
export type ErrorCode =
  /** Not UTF-8, not JSON, or not a request object. */
  | 'bad-request'
  /** A protocol version this daemon does not speak. */
  | 'bad-version'
  /** The line exceeded the daemon's size bound. */
  | 'too-large'
  | 'unknown-op'
  /** The op's arguments have the wrong shape or values. */
  | 'bad-args'
  /** The director refused the operation (No such service, a config that does not load, ...). */
  | 'refused'
  /** Too many clients at once. */
  | 'busy'
  /** The client sent half a request, or nothing, for too long. */
  | 'timeout'
  /** A fault in the daemon; the daemon goes on. */
  | 'internal';

export type RequestId = string | number | null;

export interface Request {
  v: typeof PROTOCOL_VERSION;
  id: RequestId;
  op: string;
  args: Record<string, unknown>;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

export type Response =
  | { v: typeof PROTOCOL_VERSION; id: RequestId; ok: true; result: unknown; more?: true }
  | { v: typeof PROTOCOL_VERSION; id: RequestId; ok: false; error: ErrorBody };

/** An error an op handler (or the decoder) raises to answer with this code. */
export class ControlError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'ControlError';
  }
}

const MAX_ID_LENGTH = 128;
const MAX_OP_LENGTH = 64;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idOf(value: unknown): RequestId | undefined {
  if (typeof value === 'string' && value.length <= MAX_ID_LENGTH) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  return value === undefined || value === null ? null : undefined;
}

/** The request in one line (without its newline), or the error to answer it with and the id to answer to. */
export function decodeRequest(line: Uint8Array): Request | { id: RequestId; error: ControlError } {
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(line);
  } catch {
    return { id: null, error: new ControlError('bad-request', 'request is not valid UTF-8') };
  }
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { id: null, error: new ControlError('bad-request', `request is not JSON: ${(err as Error).message}`) };
  }
  if (!isRecord(value)) return { id: null, error: new ControlError('bad-request', 'a request is a JSON object: {"v":1,"id":...,"op":...,"args":{...}}') };
  const id = idOf(value.id);
  if (id === undefined) return { id: null, error: new ControlError('bad-request', `"id" must be a string of at most ${MAX_ID_LENGTH} characters or an integer`) };
  if (value.v !== PROTOCOL_VERSION) {
    return { id, error: new ControlError('bad-version', `protocol version ${JSON.stringify(value.v) ?? 'missing'}: this director speaks "v":${PROTOCOL_VERSION}`) };
  }
  const { op, args } = value;
  if (typeof op !== 'string' || op.length === 0 || op.length > MAX_OP_LENGTH) {
    return { id, error: new ControlError('bad-request', '"op" must be a non-empty string') };
  }
  if (args !== undefined && !isRecord(args)) return { id, error: new ControlError('bad-request', '"args" must be an object') };
  return { v: PROTOCOL_VERSION, id, op, args: args ?? {} };
}

export function okLine(id: RequestId, result: unknown, more = false): string {
  const response: Response = more ? { v: PROTOCOL_VERSION, id, ok: true, result, more: true } : { v: PROTOCOL_VERSION, id, ok: true, result };
  return `${JSON.stringify(response)}\n`;
}

export function errorLine(id: RequestId, error: ErrorBody): string {
  const response: Response = { v: PROTOCOL_VERSION, id, ok: false, error: { code: error.code, message: error.message } };
  return `${JSON.stringify(response)}\n`;
}

/** A response line as the client reads it; throws when it is not one (a daemon of another protocol). */
export function decodeResponse(text: string): Response {
  const value: unknown = JSON.parse(text);
  if (!isRecord(value) || value.v !== PROTOCOL_VERSION || typeof value.ok !== 'boolean') {
    throw new Error(`not a control protocol v${PROTOCOL_VERSION} response: ${text.slice(0, 200)}`);
  }
  if (value.ok === false && (!isRecord(value.error) || typeof value.error.message !== 'string' || typeof value.error.code !== 'string')) {
    throw new Error(`malformed error response: ${text.slice(0, 200)}`);
  }
  return value as unknown as Response;
}

/**
 * AWS event stream messages (`application/vnd.amazon.eventstream`), the binary framing of
 * streaming answers such as InvokeEndpointWithResponseStream's. Framing, header encoding
 * and both CRCs come from `@smithy/core/event-streams`, the codec the AWS SDK for
 * JavaScript decodes with, so what Slipway writes is what the SDKs read.
 *
 * The message kinds, as the SDKs interpret them:
 *   event      `:message-type` event, `:event-type` <member of the stream union>, the member's
 *              event payload as the message body (raw bytes for a blob payload).
 *   exception  `:message-type` exception, `:exception-type` <modelled error shape>, the error's
 *              members as a JSON body; the SDKs raise it as that error while iterating.
 */
import { EventStreamCodec } from '@smithy/core/event-streams';

export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
  (text) => Buffer.from(text, 'utf8'),
);

const str = (value: string) => ({ type: 'string' as const, value });

/** An event whose payload is `payload` as is (a blob member with the eventpayload trait). */
export function eventMessage(eventType: string, payload: Uint8Array, contentType = 'application/octet-stream'): Uint8Array {
  return codec.encode({
    headers: { ':event-type': str(eventType), ':message-type': str('event'), ':content-type': str(contentType) },
    body: payload,
  });
}

/** A modelled error inside the stream: its members (e.g. Message, ErrorCode) as JSON. */
export function exceptionMessage(exceptionType: string, members: Record<string, unknown>): Uint8Array {
  return codec.encode({
    headers: { ':exception-type': str(exceptionType), ':message-type': str('exception'), ':content-type': str('application/json') },
    body: Buffer.from(JSON.stringify(members), 'utf8'),
  });
}

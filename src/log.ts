// Structured logging (pino). One line per request; secrets are never passed to the logger.
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    // The request log passes an unexpected failure as `error`: serialise it (type, message, stack), since an
    // Error's own properties are not enumerable and would be logged as {}.
    { level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime, serializers: { error: pino.stdSerializers.err } },
    destination ?? process.stdout,
  );
}

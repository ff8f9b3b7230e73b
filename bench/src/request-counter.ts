import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Requests a client sent, by command name, as seen by middleware on that client. */
export interface RequestCounts {
  /** Commands sent (one per `client.send`), by operation (the command name without `Command`), e.g. `{ Scan: 8 }`. */
  commands: Record<string, number>;
  /** HTTP attempts, SDK retries included (equal to the commands' total when nothing was retried). */
  attempts: number;
}

/**
 * Counts what a client sends: one middleware in the `initialize` step counts commands by name
 * (once per `send`), one in the `deserialize` step counts HTTP attempts (once per try, below the
 * SDK's retry middleware). Also tracks how many commands are in flight.
 */
export class RequestCounter {
  readonly #commands: Record<string, number> = {};
  #attempts = 0;
  #inFlight = 0;

  constructor(client: DynamoDBClient) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = (context.commandName ?? 'unknown').replace(/Command$/, '');
        this.#commands[name] = (this.#commands[name] ?? 0) + 1;
        this.#inFlight++;
        try {
          return await next(args);
        } finally {
          this.#inFlight--;
        }
      },
      { step: 'initialize', name: 'benchCommandCounter' },
    );
    client.middlewareStack.add(
      (next) => async (args) => {
        this.#attempts++;
        return next(args);
      },
      { step: 'deserialize', name: 'benchAttemptCounter' },
    );
  }

  /** Commands sent but not answered yet. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The counts so far. */
  snapshot(): RequestCounts {
    return { commands: { ...this.#commands }, attempts: this.#attempts };
  }
}

/** The total of all commands in `counts`. */
export function totalCommands(counts: RequestCounts): number {
  return Object.values(counts.commands).reduce((sum, count) => sum + count, 0);
}

import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoints of the local DynamoDB servers started for this run, by server name. */
    dynamoEndpoints: { name: string; endpoint: string }[];
  }
}

import 'koa';

/** What koa-session adds to the context (koa-session 7 ships no augmentation of koa's types). */
declare module 'koa' {
  interface DefaultContext {
    session: (Record<string, unknown> & { regenerate?(): Promise<void>; maxAge?: number }) | null;
  }
}

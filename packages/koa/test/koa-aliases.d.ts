/** koa 2, installed under the alias `koa-2`; its API is typed like koa 3's for these tests. */
declare module 'koa-2' {
  import Koa from 'koa';
  export default Koa;
}

/** koa-session 6, installed under the alias `koa-session-6`; typed like koa-session 7. */
declare module 'koa-session-6' {
  import session from 'koa-session';
  export default session;
}

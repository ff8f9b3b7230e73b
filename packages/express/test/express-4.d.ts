/** express 4, installed under the alias `express-4`; its API is typed like express 5's for these tests. */
declare module 'express-4' {
  import express from 'express';
  export default express;
}

/** What the app keeps in a session: `request.session.views` and `request.session.user`. */
declare module 'fastify' {
  interface Session {
    views?: number;
    user?: string;
  }
}

export {};

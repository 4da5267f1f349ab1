/** A value now (SQLite answers synchronously) or later (PostgreSQL answers over the network). */
export type Awaitable<T> = T | Promise<T>;

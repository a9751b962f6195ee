/**
 * The part of redlock 5's API the tests use: its package ships types that TypeScript cannot
 * resolve through its "exports" map (node_modules/redlock/dist/index.d.ts).
 */
declare module "redlock" {
  import type IORedis from "ioredis";

  interface Settings {
    retryCount?: number;
    retryDelay?: number;
    retryJitter?: number;
  }
  interface Lock {
    extend(duration: number): Promise<Lock>;
    release(): Promise<unknown>;
  }
  export default class Redlock {
    constructor(clients: IORedis[], settings?: Settings);
    acquire(resources: string[], duration: number, settings?: Settings): Promise<Lock>;
    using<T>(resources: string[], duration: number, routine: () => Promise<T>): Promise<T>;
  }
}

import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { ACK_LUA, EXTEND_LUA, FORGET_CONSUMER_LUA, SCHEDULE_LUA, SETTLE_LUA } from "./lua.ts";
import { RECEIVE_LUA } from "./lua-receive.ts";

/** An argument of a Redis command: text, bytes or a number. */
export type RedisArg = string | Buffer | number;

/**
 * A Lua script run by its SHA (EVALSHA), sent whole once when the server does not know it yet
 * (after a restart or SCRIPT FLUSH). Replies keep bulk strings as Buffers, so binary field values
 * survive.
 */
export class LuaScript {
  readonly sha: string;
  readonly #source: string;
  readonly #keys: number;

  constructor(source: string, keys: number) {
    this.#source = source;
    this.#keys = keys;
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(client: Redis, keys: readonly string[], args: readonly RedisArg[]): Promise<unknown> {
    if (keys.length !== this.#keys)
      throw new Error(`this script takes ${this.#keys} keys, got ${keys.length}`);
    // ioredis has these two at runtime without typing them; `callBuffer` loses the command name
    // under auto-pipelining (ioredis 6), so it is not an option.
    const buffers = client as unknown as BufferEval;
    try {
      return await buffers.evalshaBuffer(this.sha, this.#keys, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).startsWith("NOSCRIPT")) throw error;
      return buffers.evalBuffer(this.#source, this.#keys, ...keys, ...args);
    }
  }

  /** Load the script (SCRIPT LOAD), so the first `run` needs one round trip; checks the user may run scripts. */
  async load(client: Redis): Promise<void> {
    await client.call("SCRIPT", "LOAD", this.#source);
  }
}

/** EVAL and EVALSHA answering bulk strings as Buffers. */
interface BufferEval {
  evalBuffer(script: string, keys: number, ...args: RedisArg[]): Promise<unknown>;
  evalshaBuffer(sha: string, keys: number, ...args: RedisArg[]): Promise<unknown>;
}

/** Receive (six keys): see `RECEIVE_LUA`. */
export const RECEIVE = new LuaScript(RECEIVE_LUA, 6);
/** Ack many (six keys): see `ACK_LUA`. */
export const ACK = new LuaScript(ACK_LUA, 6);
/** Settle by a write (six keys): see `SETTLE_LUA`. */
export const SETTLE = new LuaScript(SETTLE_LUA, 6);
/** Heartbeat (the stream): see `EXTEND_LUA`. */
export const EXTEND = new LuaScript(EXTEND_LUA, 1);
/** Delay or schedule (six keys): see `SCHEDULE_LUA`. */
export const SCHEDULE = new LuaScript(SCHEDULE_LUA, 6);
/** Leave the group (the stream): see `FORGET_CONSUMER_LUA`. */
export const FORGET_CONSUMER = new LuaScript(FORGET_CONSUMER_LUA, 1);

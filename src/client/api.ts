import type { RpcMethod, RpcRequest, RpcResult } from '../protocol/types.generated.ts';
import { Emitter } from './emitter.ts';
import type { ChannelView, ChannelEntry, UserEntry, UserPage, XPushEvents } from './types.ts';

export interface CreateChannelOptions {
  /** `members` (default: only members read and write) or `open` (any user of the app). */
  type?: 'members' | 'open';
  members?: string[];
  data?: unknown;
}

export interface UserSearch {
  prefix?: string;
  field?: string;
  value?: string;
  limit?: number;
  cursor?: string;
}

/**
 * The XPUSH operations that are plain rpc calls (docs/protocol.md "RPC methods"): channels,
 * users, groups. XPush supplies `rpc`.
 */
export abstract class XPushApi extends Emitter<XPushEvents> {
  /** Calls an rpc method (built-in or a custom service command) and resolves with its result data. */
  abstract rpc<T = any>(method: string, data?: unknown): Promise<T>;

  /** A built-in method, typed by the protocol's method table (protocol/rpc.ts). */
  protected call<M extends RpcMethod>(method: M, data: RpcRequest<M>): Promise<RpcResult<M>> {
    return this.rpc<RpcResult<M>>(method, data);
  }

  createChannel(channel: string, opts: CreateChannelOptions = {}): Promise<ChannelView> {
    return this.call('channel.create', { channel, ...opts });
  }

  getChannel(channel: string): Promise<ChannelView> {
    return this.call('channel.get', { channel });
  }

  /** The user's channels, each with `unread` and `readOffset`. */
  async listChannels(): Promise<ChannelEntry[]> {
    return (await this.call('channel.list', {})).channels;
  }

  updateChannel(channel: string, data: unknown): Promise<ChannelView> {
    return this.call('channel.update', { channel, data });
  }

  async deleteChannel(channel: string): Promise<void> {
    await this.call('channel.delete', { channel });
  }

  /** Joins an open channel; this connection starts receiving it (server-side subscription). */
  joinChannel(channel: string): Promise<ChannelView> {
    return this.call('channel.join', { channel });
  }

  async leaveChannel(channel: string): Promise<void> {
    await this.call('channel.leave', { channel });
  }

  async addMembers(channel: string, users: string[]): Promise<string[]> {
    return (await this.call('channel.members.add', { channel, users })).added;
  }

  async removeMembers(channel: string, users: string[]): Promise<string[]> {
    return (await this.call('channel.members.remove', { channel, users })).removed;
  }

  async members(channel: string): Promise<string[]> {
    return (await this.call('channel.members', { channel })).members;
  }

  readonly users = {
    search: (q: UserSearch = {}): Promise<UserPage> => this.call('user.search', q),
    get: (user: string): Promise<UserEntry> => this.call('user.get', { user }),
    /** Replaces the current user's own public profile, and the private one (seen only by the user and the backend) when given. */
    update: (profile: Record<string, unknown>, privateProfile?: Record<string, unknown>): Promise<UserEntry> =>
      this.call('user.update', privateProfile === undefined ? { profile } : { profile, privateProfile }),
  };

  async groupAdd(group: string, users: string[]): Promise<string[]> {
    return (await this.call('group.add', { group, users })).added;
  }

  async groupRemove(group: string, users: string[]): Promise<string[]> {
    return (await this.call('group.remove', { group, users })).removed;
  }

  async groupMembers(group: string): Promise<string[]> {
    return (await this.call('group.members', { group })).users;
  }

  async groupList(): Promise<{ group: string; size: number }[]> {
    return (await this.call('group.list', {})).groups;
  }
}

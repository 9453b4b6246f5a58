import { RpcMethods } from '../protocol/rpc-methods.ts';
import { Emitter } from './emitter.ts';
import type { ChannelView, UserEntry, XPushEvents } from './types.ts';

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

  createChannel(channel: string, opts: CreateChannelOptions = {}): Promise<ChannelView> {
    return this.rpc(RpcMethods.channelCreate, { channel, ...opts });
  }

  getChannel(channel: string): Promise<ChannelView> {
    return this.rpc(RpcMethods.channelGet, { channel });
  }

  /** The user's channels, each with `unread` and `readOffset`. */
  async listChannels(): Promise<ChannelView[]> {
    return (await this.rpc<{ channels: ChannelView[] }>(RpcMethods.channelList, {})).channels;
  }

  updateChannel(channel: string, data: unknown): Promise<ChannelView> {
    return this.rpc(RpcMethods.channelUpdate, { channel, data });
  }

  async deleteChannel(channel: string): Promise<void> {
    await this.rpc(RpcMethods.channelDelete, { channel });
  }

  /** Joins an open channel; this connection starts receiving it (server-side subscription). */
  joinChannel(channel: string): Promise<ChannelView> {
    return this.rpc(RpcMethods.channelJoin, { channel });
  }

  async leaveChannel(channel: string): Promise<void> {
    await this.rpc(RpcMethods.channelLeave, { channel });
  }

  async addMembers(channel: string, users: string[]): Promise<string[]> {
    return (await this.rpc<{ added: string[] }>(RpcMethods.channelMembersAdd, { channel, users })).added;
  }

  async removeMembers(channel: string, users: string[]): Promise<string[]> {
    return (await this.rpc<{ removed: string[] }>(RpcMethods.channelMembersRemove, { channel, users })).removed;
  }

  async members(channel: string): Promise<string[]> {
    return (await this.rpc<{ members: string[] }>(RpcMethods.channelMembers, { channel })).members;
  }

  readonly users = {
    search: (q: UserSearch = {}): Promise<{ users: UserEntry[]; next?: string }> => this.rpc(RpcMethods.userSearch, q),
    get: (user: string): Promise<UserEntry> => this.rpc(RpcMethods.userGet, { user }),
    /** Replaces the current user's own profile. */
    update: (profile: unknown): Promise<UserEntry> => this.rpc(RpcMethods.userUpdate, { profile }),
  };

  async groupAdd(group: string, users: string[]): Promise<string[]> {
    return (await this.rpc<{ added: string[] }>(RpcMethods.groupAdd, { group, users })).added;
  }

  async groupRemove(group: string, users: string[]): Promise<string[]> {
    return (await this.rpc<{ removed: string[] }>(RpcMethods.groupRemove, { group, users })).removed;
  }

  async groupMembers(group: string): Promise<string[]> {
    return (await this.rpc<{ users: string[] }>(RpcMethods.groupMembers, { group })).users;
  }

  async groupList(): Promise<{ group: string; size: number }[]> {
    return (await this.rpc<{ groups: { group: string; size: number }[] }>(RpcMethods.groupList, {})).groups;
  }
}

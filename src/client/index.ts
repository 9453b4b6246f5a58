export { XPush } from './xpush.ts';
export { XPushError } from '../errors.ts';
export type { CreateChannelOptions, UserSearch } from './api.ts';
export type { PushTargetInput, PushTargetView, PushModeView, PushKind, PushMode } from './push.ts';
export type {
  XPushOptions, XPushEvents, Message, MessageMeta, Actor, ConnectedInfo, DisconnectedInfo, ReadInfo, SendResult,
  ChannelView, UnreadCount, HistoryPage, UserEntry, Tokens,
} from './types.ts';

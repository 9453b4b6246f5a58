export { XPush } from './xpush.ts';
export { XPushError } from '../errors.ts';
export type { CreateChannelOptions, UserSearch } from './api.ts';
export type { PushTargetInput, PushTargetView, PushModeView, PushKind, PushMode } from './push.ts';
export type {
  XPushOptions, XPushEvents, Message, MessageMeta, Actor, ConnectedInfo, DisconnectedInfo, ReadInfo, SendResult,
  ChannelView, ChannelEntry, UserPage, GroupSummary, UnreadCount, HistoryPage, UserEntry, Tokens, DeviceInfo,
} from './types.ts';
export type { FileSource, FileRef, SendFileOptions, UploadProgress } from './files.ts';
export type { FileInfo, UploadResult } from '../protocol/types.generated.ts';

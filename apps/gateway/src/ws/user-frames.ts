// How another feature sends gateway-made frames to one user's WebSockets (a model pull's progress) without
// depending on the bridge itself: the live bridge module provides USER_FRAMES (WsBridge.sendToUser).
export interface UserFrames {
  sendToUser(userId: string, frame: Record<string, unknown>): number;
}
export const USER_FRAMES = Symbol('USER_FRAMES');

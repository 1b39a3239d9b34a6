import { z } from 'zod';

export const ConsoleChatConfig = z.strictObject({
  /** Who is typing until `/as` says otherwise. */
  user: z.string().min(1).default('alice'),
  channel: z.string().default('#chaos'),
});
export type ConsoleChatConfig = z.infer<typeof ConsoleChatConfig>;

/** The core takes time as an argument; the engine passes `clock.now()`. */
export interface Clock {
  now(): number;
}

export const systemClock = (): Clock => ({ now: () => Date.now() });

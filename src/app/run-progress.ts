const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface RunProgress {
  /** The run is in `name` now (proposing, prechecking, observing, …): said once per change. */
  phase(name: string): void;
  /** A line of its own (what the thread says). */
  line(text: string): void;
  /** The last word; the spinner stops. */
  done(text: string): void;
}

/**
 * Progress on a terminal: a spinner with the phase and its time on a TTY, one plain line per phase
 * otherwise (a pipeline's log has no use for carriage returns).
 */
export function runProgress(out: NodeJS.WriteStream, now: () => number = Date.now): RunProgress {
  const tty = out.isTTY === true;
  let current = '';
  let since = now();
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  const clear = () => {
    if (tty) out.write('\r\x1b[2K');
  };
  const draw = () => {
    clear();
    out.write(`${FRAMES[frame++ % FRAMES.length]} ${current} (${Math.round((now() - since) / 1000)} s)`);
  };
  const stop = () => {
    clearInterval(timer);
    timer = undefined;
    clear();
  };
  return {
    phase(name) {
      if (name === current) return;
      current = name;
      since = now();
      if (!tty) {
        out.write(`[faultline] ${name}\n`);
        return;
      }
      timer ??= setInterval(draw, 100);
      timer.unref();
      draw();
    },
    line(text) {
      clear();
      out.write(`${text}\n`);
      if (timer) draw();
    },
    done(text) {
      stop();
      out.write(`${text}\n`);
    },
  };
}

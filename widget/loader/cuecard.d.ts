// Type declarations for the Cuecard embed: the one global the loader defines, `Cuecard`.
// Served beside the loader (`/widget/cuecard.d.ts`); copy it into your app's types, or reference it
// from a `.d.ts` of your own. Calls made before the loader has run are queued by the stub in
// the README, so `window.Cuecard?.(…)` never drops an early call.

/** Where the worker is, as the app knows it. Each field is optional: `undefined` (or leaving it
 * out) keeps what was set before; `null` or `""` clears it. */
export interface CuecardContext {
  /** The app's route template for the screen (`/approvals/:id`), not the filled-in path. Without
   * it, route templates are matched against the page's path. Cleared by a navigation. */
  route?: string | null;
  /** Help keys (`claim.vat-number`), innermost first: letters, digits, `.` `_` `:` `-`, at most
   * 128 characters each, at most 32. Overrides the keys read from the focused field until the
   * next navigation; `[]` or `null` goes back to the focused field's. */
  keys?: string[] | string | null;
  /** The worker's roles (`approver`): letters, digits, `.` `_` `:` `-`, at most 64 characters
   * each, at most 16; an array or one comma-separated string. */
  roles?: string[] | string | null;
  /** A BCP 47 language tag (`fr-CA`); without it, `data-locale`, `<html lang>`, the browser's. */
  locale?: string | null;
  /** The app's version (`2.3.1`, semver), for help limited to versions. */
  appVersion?: string | null;
}

/** What the page's handlers receive. */
export interface CuecardEvents {
  /** The panel opened (by the worker or `Cuecard('open')`). */
  open: undefined;
  /** The panel closed. */
  close: undefined;
  /** The worker said whether a snippet helped. */
  feedback: { snippet: number; helpful: boolean };
}

export interface Cuecard {
  (command: "setContext", context: CuecardContext): void;
  (command: "open" | "close" | "toggle"): void;
  /** Opens the panel on one published snippet, by id. */
  (command: "show", snippetId: number): void;
  <E extends keyof CuecardEvents>(command: "on" | "off", event: E, handler: (detail: CuecardEvents[E]) => void): void;
  /** Takes the widget off the page; any later call (or the script tag added again) brings it back. */
  (command: "shutdown"): void;
  /** Calls queued before the loader ran (the stub's). */
  q?: IArguments[];
  loaded?: boolean;
}

declare global {
  interface Window {
    Cuecard?: Cuecard;
  }
}

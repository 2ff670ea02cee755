/**
 * How the runtime opens one kind of client. A handler names the specs its job needs; each is
 * opened once per runtime (a spec used by two others, such as the Redis connection under the
 * queue backend and the tracking id sequence, is shared) and closed with it.
 */
import type { Logger } from '../log';

export interface OpenContext {
  /** The function's name, for logs. */
  component: string;
  logger: Logger;
  /** The runtime's instance of another spec, opened on first use. */
  use<T>(spec: ClientSpec<T>): T;
}

export interface ClientSpec<T> {
  /** Names the client in errors about opening or closing it. */
  name: string;
  /** Builds the client. Nothing may connect here: clients connect on their first command. */
  open(context: OpenContext): T;
  /** Ends what `open` built; clients obtained through `use` are closed by their own spec. */
  close?(client: T): Promise<void> | void;
}

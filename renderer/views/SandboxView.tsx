// Placeholder: replaced by the view's owner.
import type { Cursor } from '../App';
import { Empty } from '../components/ui';

export function SandboxView(_props: { cursor: Cursor }) {
  return <Empty>Sandbox: not built yet.</Empty>;
}

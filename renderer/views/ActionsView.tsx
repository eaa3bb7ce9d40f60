// Placeholder: replaced by the view's owner.
import type { Cursor } from '../App';
import { Empty } from '../components/ui';

export function ActionsView(_props: { cursor: Cursor }) {
  return <Empty>Actions: not built yet.</Empty>;
}

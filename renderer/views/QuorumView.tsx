// Placeholder: replaced by the view's owner.
import type { Cursor } from '../App';
import { Empty } from '../components/ui';

export function QuorumView(_props: { cursor: Cursor }) {
  return <Empty>Quorum: not built yet.</Empty>;
}

// Placeholder: replaced by the view's owner.
import type { Cursor } from '../App';
import { Empty } from '../components/ui';

export function MetricsView(_props: { cursor: Cursor }) {
  return <Empty>Metrics: not built yet.</Empty>;
}

// Placeholder: replaced by the view's owner.
import type { Cursor } from '../App';
import { Empty } from '../components/ui';

export function HealthView(_props: { cursor: Cursor }) {
  return <Empty>Health: not built yet.</Empty>;
}

// The demo host page's script: mounts one planner and wires the buttons (demo.html).
import { mount } from './tokenfleet-widget.js';

const changes = document.getElementById('changes');
let planner = mount(document.getElementById('editor'), {
  onChange(plan) {
    changes.textContent = JSON.stringify(plan.spec?.workload ?? plan, null, 2);
  },
});
const initial = planner.ready.then((p) => p.getPlan());
document.getElementById('reset').addEventListener('click', async () => planner?.setPlan(await initial));
document.getElementById('destroy').addEventListener('click', () => {
  planner?.destroy();
  planner = null;
});

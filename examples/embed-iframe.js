// Host-page control of an embedded lab: {toymoe: 1, action, state?} messages
// (docs/embedding.md). The lab only accepts messages from its parent frame.
const frame = document.getElementById('lab');
const origin = new URL(frame.src, location.href).origin;   // only the lab's origin may read the message
const send = (action, state) => frame.contentWindow.postMessage({ toymoe: 1, action, state }, origin);
document.getElementById('train').addEventListener('click', () => send('train'));
document.getElementById('pause').addEventListener('click', () => send('pause'));
document.getElementById('reset').addEventListener('click', () => send('reset'));
document.getElementById('seed').addEventListener('click', () => send('set', { config: { seed: 3 } }));

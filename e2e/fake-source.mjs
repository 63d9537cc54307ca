// A stand-in for the browser's EventSource that a Node test drives by hand (client.test.mjs, jobs.test.mjs).

export class FakeSource {
  static instances = [];
  constructor(url) {
    this.url = url;
    this.closed = false;
    FakeSource.instances.push(this);
  }
  close() { this.closed = true; }
  message(data, lastEventId = '') { this.onmessage({ data: JSON.stringify(data), lastEventId }); }
  fail() { this.onerror(new Error('network')); }
}

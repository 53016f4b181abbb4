// page.wait_for_function(IDLE, arg=widget name): the widget has no call in flight and none waiting.
(n) => { const i = glassbox.instances.find(i => i.name === n); return !i.inFlight && !i.latest; }

// The floor page: start the worker, mark the moment it reports ready (floor:ready).
const w = new Worker("bench-floor-worker.js");
w.onmessage = () => { performance.mark("floor:ready"); document.getElementById("state").textContent = "ready"; };

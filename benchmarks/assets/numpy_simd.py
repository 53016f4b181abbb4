# In the page's worker, after smollm2_setup.py: numpy's SIMD extensions in this build, [baseline, found].
import numpy as np

c = np.show_config(mode="dicts").get("SIMD Extensions", {})
[c.get("baseline", []), c.get("found", [])]

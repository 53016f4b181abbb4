// page.evaluate(GLASSBOX_LOAD, chat prompt ids): what a Load button does (glassbox.models.load), then the
// first answer token through llm_core.generation.generate; ms from the call: downloaded (the unpack
// phase begins), loaded, total (first token).
async (ids) => {
    let downloaded = null;
    const t0 = performance.now();
    const onModel = (e) => { if (e.detail.phase === 'unpack' && downloaded === null) downloaded = performance.now() - t0; };
    document.addEventListener('glassbox:model', onModel);
    const info = await glassbox.models.load('smollm2');
    const loaded = performance.now() - t0;
    const first = await glassbox.py(`from llm_core.models import get_model
from llm_core.generation import generate
generate(get_model('smollm2'), ${JSON.stringify(ids)}, max_new_tokens=1, temperature=0)['new_ids']`);
    document.removeEventListener('glassbox:model', onModel);
    return { downloaded, loaded, total: performance.now() - t0, first, fromCache: info.fromCache, bytes: info.bytes };
}

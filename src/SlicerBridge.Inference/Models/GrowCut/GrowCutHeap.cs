namespace SlicerBridge.Inference.Models.GrowCut;

/// <summary>
/// A binary min-heap of (cost, voxel index) pairs stored inline in one array: the solver's priority queue.
/// Stale entries are not removed (the solver skips them), which keeps pushes O(log n) with no index map.
/// </summary>
internal sealed class GrowCutHeap
{
    private struct Entry
    {
        public float Cost;
        public int Index;
    }

    private Entry[] _entries = new Entry[1024];
    private int _count;

    public int Count => _count;

    public void Push(int index, float cost)
    {
        if (_count == _entries.Length) Array.Resize(ref _entries, _entries.Length * 2);
        Entry[] entries = _entries;
        int slot = _count++;
        while (slot > 0)
        {
            int parent = (slot - 1) >> 1;
            if (entries[parent].Cost <= cost) break;
            entries[slot] = entries[parent];
            slot = parent;
        }
        entries[slot].Cost = cost;
        entries[slot].Index = index;
    }

    public bool TryPop(out int index, out float cost)
    {
        if (_count == 0) { index = 0; cost = 0; return false; }
        Entry[] entries = _entries;
        index = entries[0].Index;
        cost = entries[0].Cost;
        Entry last = entries[--_count];
        int slot = 0, count = _count;
        while (true)
        {
            int child = 2 * slot + 1;
            if (child >= count) break;
            if (child + 1 < count && entries[child + 1].Cost < entries[child].Cost) child++;
            if (entries[child].Cost >= last.Cost) break;
            entries[slot] = entries[child];
            slot = child;
        }
        if (count > 0) entries[slot] = last;
        return true;
    }
}

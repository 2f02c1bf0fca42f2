namespace GpuMesh.Interop.Gpu;

/// <summary>
/// Imports keyed by (flow, slot). A slot whose mapping changed (flow re-created, reader re-opened) is released
/// and imported again; everything else is imported once. Thread safe.
/// </summary>
public sealed class GrainSlotCache<TImported> : IDisposable where TImported : class, IImportedGrain
{
    private readonly Dictionary<(Guid Flow, int Slot), TImported> _entries = new();
    private readonly Lock _lock = new();
    private bool _disposed;

    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    /// <summary>Total number of imports created (first use or mapping change); for tests and metrics.</summary>
    public long ImportCount { get; private set; }

    public TImported GetOrImport(in GrainMemory grain, Func<GrainMemory, TImported> import)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var key = (grain.FlowId, grain.Slot);
            if (_entries.TryGetValue(key, out var existing))
            {
                if (existing.Grain == grain)
                    return existing;
                _entries.Remove(key);
                existing.Dispose();
            }
            var created = import(grain);
            _entries.Add(key, created);
            ImportCount++;
            return created;
        }
    }

    public int ReleaseFlow(Guid flowId)
    {
        lock (_lock)
        {
            var keys = _entries.Keys.Where(k => k.Flow == flowId).ToList();
            foreach (var key in keys)
            {
                _entries.Remove(key, out var entry);
                entry!.Dispose();
            }
            return keys.Count;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var entry in _entries.Values)
                entry.Dispose();
            _entries.Clear();
        }
    }
}

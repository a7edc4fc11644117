using k8s;
using k8s.Models;
using Kube.Core.Informers;

namespace Kube.Core.Tests.Testing;

/// <summary>Records handler calls as strings: "add name rv initial", "update name oldRv->newRv", "delete name rv unknown".</summary>
internal sealed class RecordingHandler<T> : IResourceEventHandler<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Lock _lock = new();
    private readonly List<string> _events = [];

    public Func<T, bool>? ThrowOn { get; set; }

    public IReadOnlyList<string> Events
    {
        get { lock (_lock) return _events.ToArray(); }
    }

    public int Count
    {
        get { lock (_lock) return _events.Count; }
    }

    private void Record(string e)
    {
        lock (_lock) _events.Add(e);
    }

    public void OnAdd(T obj, bool isInInitialList)
    {
        Record($"add {obj.Metadata.Name} {obj.Metadata.ResourceVersion} {(isInInitialList ? "initial" : "live")}");
        if (ThrowOn?.Invoke(obj) == true) throw new InvalidOperationException("handler failure");
    }

    public void OnUpdate(T oldObj, T newObj) =>
        Record($"update {newObj.Metadata.Name} {oldObj.Metadata.ResourceVersion}->{newObj.Metadata.ResourceVersion}");

    public void OnDelete(T obj, bool finalStateUnknown) =>
        Record($"delete {obj.Metadata.Name} {obj.Metadata.ResourceVersion}{(finalStateUnknown ? " unknown" : "")}");
}

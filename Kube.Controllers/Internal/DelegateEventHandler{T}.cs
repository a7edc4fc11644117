using k8s;
using k8s.Models;
using Kube.Controllers.Runtime;
using Kube.Core.Informers;

namespace Kube.Controllers.Internal;

/// <summary>An informer handler that calls one delegate with (type, object, old object); on update it is called for the new state and, when asked, the old one too.</summary>
internal sealed class DelegateEventHandler<T>(Action<ControllerEventType, T, T?> onEvent, bool alsoNotifyOld = true) : IResourceEventHandler<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public void OnAdd(T obj, bool isInInitialList) => onEvent(ControllerEventType.Create, obj, null);

    public void OnUpdate(T oldObj, T newObj)
    {
        onEvent(ControllerEventType.Update, newObj, oldObj);
        // A change of owner or of labels can move the object between owners: tell the old one too.
        if (alsoNotifyOld) onEvent(ControllerEventType.Update, oldObj, null);
    }

    public void OnDelete(T obj, bool finalStateUnknown) => onEvent(ControllerEventType.Delete, obj, null);
}

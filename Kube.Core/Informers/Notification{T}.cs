using k8s;
using k8s.Models;

namespace Kube.Core.Informers;

internal enum NotificationKind { Add, Update, Delete, Barrier }

/// <summary>One queued handler call; a barrier completes its task once everything before it was delivered.</summary>
internal readonly record struct Notification<T>(NotificationKind Kind, T? Old, T? New, bool Flag = false, TaskCompletionSource? Barrier = null)
    where T : class, IKubernetesObject<V1ObjectMeta>;

using Kube.Core.Client;

namespace Kube.ApiServer.Watch;

/// <summary>One event as a watcher receives it. For Error, <see cref="Object"/> is a Status.</summary>
internal readonly record struct WatchItem(WatchEventType Type, ObjectSnapshot Object);

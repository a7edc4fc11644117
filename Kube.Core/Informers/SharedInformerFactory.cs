using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Kube.Core.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Core.Informers;

/// <summary>
/// Hands out one <see cref="SharedInformer{T}"/> per (type, namespace, label selector, field selector) over one
/// <see cref="IKubeClient"/>. Informers obtained before <see cref="Start"/> start with it; later ones start at once.
/// </summary>
public sealed class SharedInformerFactory : ISharedInformerFactory
{
    private readonly ConcurrentDictionary<(Type, string, string, string), IRunnableInformer> _informers = new();
    private readonly List<Task> _running = [];
    private readonly HashSet<IRunnableInformer> _startedSet = [];
    private readonly Lock _lock = new();
    private readonly IKubeClient _client;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly InformerOptions _options;
    private CancellationToken? _stoppingToken;

    /// <param name="client">The client all informers list and watch through.</param>
    /// <param name="time">The clock; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="loggerFactory">Default: no logging.</param>
    /// <param name="options">The options of every informer; default <see cref="InformerOptions"/>' defaults (no resync).</param>
    public SharedInformerFactory(IKubeClient client, TimeProvider? time = null, ILoggerFactory? loggerFactory = null, InformerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _time = time ?? TimeProvider.System;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _options = options ?? new InformerOptions();
        _options.Validate();
    }

    /// <summary>The number of distinct informers handed out.</summary>
    public int Count => _informers.Count;

    public IInformer<T> GetInformer<T>(string? @namespace = null, string? labelSelector = null, string? fieldSelector = null)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var key = (typeof(T), @namespace ?? "", labelSelector ?? "", fieldSelector ?? "");
        var informer = _informers.GetOrAdd(key, _ => new SharedInformer<T>(_client, string.IsNullOrEmpty(@namespace) ? null : @namespace,
            string.IsNullOrEmpty(labelSelector) ? null : labelSelector, string.IsNullOrEmpty(fieldSelector) ? null : fieldSelector,
            _options, _time, _loggerFactory.CreateLogger<SharedInformer<T>>()));
        lock (_lock)
        {
            if (_stoppingToken is { } token) StartOne(informer, token);
        }

        return (IInformer<T>)informer;
    }

    public void Start(CancellationToken stoppingToken)
    {
        lock (_lock)
        {
            _stoppingToken ??= stoppingToken;
            foreach (var informer in _informers.Values) StartOne(informer, _stoppingToken.Value);
        }
    }

    public Task WaitForCacheSyncAsync(CancellationToken cancellationToken)
    {
        IRunnableInformer[] started;
        lock (_lock) started = _startedSet.ToArray();
        return Task.WhenAll(started.Select(i => i.WaitForSyncAsync(cancellationToken)));
    }

    /// <summary>Completes when every started informer has stopped (after the stopping token was cancelled).</summary>
    public Task WhenStoppedAsync(CancellationToken cancellationToken = default)
    {
        Task[] running;
        lock (_lock) running = _running.ToArray();
        return Task.WhenAll(running).WaitAsync(cancellationToken);
    }

    private void StartOne(IRunnableInformer informer, CancellationToken token)
    {
        if (!_startedSet.Add(informer)) return;
        _running.Add(Task.Run(() => informer.RunAsync(token), CancellationToken.None));
    }
}

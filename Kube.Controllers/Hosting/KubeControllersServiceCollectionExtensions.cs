using k8s;
using k8s.Models;
using Kube.Controllers.BuiltIn.Deployment;
using Kube.Controllers.BuiltIn.CronJob;
using Kube.Controllers.BuiltIn.DaemonSet;
using Kube.Controllers.BuiltIn.GarbageCollector;
using Kube.Controllers.BuiltIn.Job;
using Kube.Controllers.BuiltIn.NodeLifecycle;
using Kube.Controllers.BuiltIn.PersistentVolume;
using Kube.Controllers.BuiltIn.HorizontalPodAutoscaler;
using Kube.Controllers.BuiltIn.ReplicaSet;
using Kube.Controllers.BuiltIn.ResourceQuota;
using Kube.Controllers.BuiltIn.ServiceAccount;
using Kube.Controllers.BuiltIn.StatefulSet;
using Kube.Controllers.BuiltIn.StorageProtection;
using Kube.Controllers.Hosting;
using Kube.Controllers.Internal;
using Kube.Controllers.Runtime;
using Kube.Core.Client;
using Kube.Core.Events;
using Kube.Core.Informers;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the controller runtime and the built-in controllers.</summary>
public static class KubeControllersServiceCollectionExtensions
{
    /// <summary>
    /// Adds the <see cref="ControllerManager"/> hosted service. Controllers are added on the returned builder.
    /// Also registers Kube.Core's infrastructure (<c>AddKubeCore()</c>: the shared informer factory and its hosted service)
    /// and, unless one is registered, an <see cref="IEventRecorder"/> reporting as "kube-controller-manager";
    /// an <see cref="IKubeClient"/> must be registered separately.
    /// </summary>
    public static IKubeControllersBuilder AddKubeControllers(this IServiceCollection services, Action<ControllerManagerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ControllerManagerOptions>();
        if (configure is not null) options.Configure(configure);
        options
            .Validate(o => o.CacheSyncTimeout > TimeSpan.Zero, "ControllerManagerOptions.CacheSyncTimeout must be positive.")
            .Validate(o => o.ConcurrentReplicaSetSyncs >= 1 && o.ConcurrentDeploymentSyncs >= 1 && o.ConcurrentGarbageCollectorSyncs >= 1
                    && o.ConcurrentJobSyncs >= 1 && o.ConcurrentStatefulSetSyncs >= 1 && o.ConcurrentDaemonSetSyncs >= 1 && o.ConcurrentCronJobSyncs >= 1 && o.ConcurrentTtlAfterFinishedSyncs >= 1,
                "ControllerManagerOptions: every Concurrent*Syncs must be at least 1.")
            .Validate(o => !o.LeaderElection || (!string.IsNullOrWhiteSpace(o.LeaseName) && !string.IsNullOrWhiteSpace(o.LeaseNamespace)),
                "ControllerManagerOptions: LeaderElection needs LeaseName and LeaseNamespace.")
            .Validate(o => o.NodeMonitorGracePeriod > TimeSpan.Zero && o.NodeStartupGracePeriod > TimeSpan.Zero,
                "ControllerManagerOptions: NodeMonitorGracePeriod and NodeStartupGracePeriod must be positive.")
            .Validate(o => o.ResourceQuotaSyncPeriod > TimeSpan.Zero, "ControllerManagerOptions.ResourceQuotaSyncPeriod must be positive.")
            .Validate(o => o.HorizontalPodAutoscalerSyncPeriod > TimeSpan.Zero, "ControllerManagerOptions.HorizontalPodAutoscalerSyncPeriod must be positive.")
            .Validate(o => o.JobPodFailureBackoff >= TimeSpan.Zero && o.JobPodFailureBackoffMax >= o.JobPodFailureBackoff,
                "ControllerManagerOptions: JobPodFailureBackoff must be non-negative and at most JobPodFailureBackoffMax.")
            .ValidateOnStart();
        services.AddKubeCore();
        // Built-in controllers record events (SuccessfulCreate, Completed, ...) as kube-controller-manager does, unless the
        // host registered its own recorder.
        services.AddKubeEventRecorder(new EventRecorderOptions { ReportingController = "kube-controller-manager" });
        services.TryAddSingleton(sp => new ControllerManager(
            sp,
            sp.GetServices<IControllerRegistration>(),
            sp.GetRequiredService<ISharedInformerFactory>(),
            sp.GetRequiredService<IKubeClient>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<ControllerManagerOptions>>(),
            sp.GetRequiredService<ILoggerFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ControllerManager>(sp => sp.GetRequiredService<ControllerManager>()));
        return new KubeControllersBuilder(services);
    }

    /// <summary>
    /// Adds the built-in controllers (ReplicaSet, Deployment, Job, CronJob, ttl-after-finished, horizontal-pod-autoscaler,
    /// the persistentvolume-binder with pvc-protection and pv-protection (<see cref="AddPersistentVolumeControllers"/>), serviceaccounts (the
    /// <c>default</c> ServiceAccount per namespace), root-ca-cert-publisher (<c>kube-root-ca.crt</c> from
    /// <see cref="ControllerManagerOptions.RootCaBundle"/>) and the garbage collector for Deployments, ReplicaSets, Pods,
    /// Jobs and CronJobs) through <see cref="IKubeControllersBuilder.AddController{TReconciler, T}"/>, as a user's
    /// controller would be.
    /// </summary>
    public static IKubeControllersBuilder AddBuiltInControllers(this IKubeControllersBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddController<ReplicaSetReconciler, V1ReplicaSet>(c => c
            .Named("replicaset")
            .WithMaxConcurrentReconciles(Options(c.Services).ConcurrentReplicaSetSyncs)
            .Owns<V1Pod>());
        builder.AddController<DeploymentReconciler, V1Deployment>(c => c
            .Named("deployment")
            .WithMaxConcurrentReconciles(Options(c.Services).ConcurrentDeploymentSyncs)
            .Owns<V1ReplicaSet>());
        builder.AddController<StatefulSetReconciler, V1StatefulSet>(c => c
            .Named("statefulset")
            .WithMaxConcurrentReconciles(Options(c.Services).ConcurrentStatefulSetSyncs)
            .Owns<V1Pod>()
            .Owns<V1ControllerRevision>());
        builder.AddController<DaemonSetReconciler, V1DaemonSet>(c =>
        {
            var sets = c.Services.GetRequiredService<ISharedInformerFactory>().GetInformer<V1DaemonSet>();
            c.Named("daemonset")
                .WithMaxConcurrentReconciles(Options(c.Services).ConcurrentDaemonSetSyncs)
                .Owns<V1Pod>()
                .Watches<V1Node>(_ => sets.Cache.List().Select(ReconcileRequest.For));
        });
        builder.AddController<NodeLifecycleReconciler, V1Node>(c => c
            .Named("node-lifecycle")
            .Watches<V1Lease>(l => l.Metadata.NamespaceProperty == NodeLifecycleReconciler.LeaseNamespace
                ? [new ReconcileRequest(null, l.Metadata.Name)]
                : []));
        builder.AddController<TaintEvictionReconciler, V1Node>(c => c
            .Named("taint-eviction")
            .Watches<V1Pod>(p => string.IsNullOrEmpty(p.Spec?.NodeName) ? [] : [new ReconcileRequest(null, p.Spec.NodeName)]));
        builder.AddController<ResourceQuotaReconciler, V1ResourceQuota>(c =>
        {
            var quotas = c.Services.GetRequiredService<ISharedInformerFactory>().GetInformer<V1ResourceQuota>();
            c.Named("resourcequota")
                .Watches<V1Pod>(p => quotas.Cache.ByIndex(Indexers.Namespace, p.Metadata.NamespaceProperty ?? "").Select(ReconcileRequest.For));
        });
        builder.AddController<HorizontalPodAutoscalerReconciler, V2HorizontalPodAutoscaler>(c => c
            .Named("horizontalpodautoscaling"));
        builder.AddController<JobReconciler, V1Job>(c => c
            .Named("job")
            .WithMaxConcurrentReconciles(Options(c.Services).ConcurrentJobSyncs)
            .Owns<V1Pod>());
        builder.AddController<CronJobReconciler, V1CronJob>(c => c
            .Named("cronjob")
            .WithMaxConcurrentReconciles(Options(c.Services).ConcurrentCronJobSyncs)
            .Owns<V1Job>());
        builder.AddController<TtlAfterFinishedReconciler, V1Job>(c => c
            .Named("ttl-after-finished")
            .WithMaxConcurrentReconciles(Options(c.Services).ConcurrentTtlAfterFinishedSyncs));
        builder.AddController<ServiceAccountReconciler, V1Namespace>(c => c
            .Named("serviceaccount")
            .Watches<V1ServiceAccount>(sa => sa.Metadata.Name == ServiceAccountReconciler.DefaultName
                ? [new ReconcileRequest(null, sa.Metadata.NamespaceProperty)]
                : []));
        builder.AddController<RootCaPublisherReconciler, V1Namespace>(c => c
            .Named("root-ca-cert-publisher")
            .Watches<V1ConfigMap>(cm => cm.Metadata.Name == RootCaPublisherReconciler.ConfigMapName
                ? [new ReconcileRequest(null, cm.Metadata.NamespaceProperty)]
                : []));
        builder.AddPersistentVolumeControllers();
        builder.AddGarbageCollectedKind<V1Deployment>();
        builder.AddGarbageCollectedKind<V1ReplicaSet>();
        builder.AddGarbageCollectedKind<V1Pod>();
        builder.AddGarbageCollectedKind<V1Job>();
        builder.AddGarbageCollectedKind<V1StatefulSet>();
        builder.AddGarbageCollectedKind<V1DaemonSet>();
        builder.AddGarbageCollectedKind<V1ControllerRevision>();
        builder.AddGarbageCollectedKind<V1CronJob>();
        builder.AddGarbageCollectedKind<V1PersistentVolumeClaim>();
        return builder;
    }

    /// <summary>
    /// Adds upstream's persistentvolume-binder as two controllers, one per loop ("persistentvolume-binder" for claims,
    /// "persistentvolume-binder-volumes" for volumes, one worker each as upstream), and the pvc-protection and
    /// pv-protection controllers. A volume's change queues its claim (and, when it is free, the unbound claims of its
    /// class); a claim's change queues its volume.
    /// </summary>
    public static IKubeControllersBuilder AddPersistentVolumeControllers(this IKubeControllersBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddController<PersistentVolumeClaimBinderReconciler, V1PersistentVolumeClaim>(c =>
        {
            var claims = c.Services.GetRequiredService<ISharedInformerFactory>().GetInformer<V1PersistentVolumeClaim>();
            c.Named("persistentvolume-binder")
                .Watches<V1PersistentVolume>(pv => ClaimsFor(pv, claims));
        });
        builder.AddController<PersistentVolumeBinderReconciler, V1PersistentVolume>(c =>
        {
            var volumes = c.Services.GetRequiredService<ISharedInformerFactory>().GetInformer<V1PersistentVolume>();
            c.Named("persistentvolume-binder-volumes")
                .Watches<V1PersistentVolumeClaim>(pvc => VolumesFor(pvc, volumes));
        });
        builder.AddController<PvcProtectionReconciler, V1PersistentVolumeClaim>(c => c
            .Named("pvc-protection")
            .Watches<V1Pod>(PvcProtectionReconciler.ClaimsOf));
        builder.AddController<PvProtectionReconciler, V1PersistentVolume>(c => c.Named("pv-protection"));
        return builder;
    }

    private static IEnumerable<ReconcileRequest> ClaimsFor(V1PersistentVolume pv, IInformer<V1PersistentVolumeClaim> claims)
    {
        if (pv.Spec?.ClaimRef is { } r) return [new ReconcileRequest(r.NamespaceProperty, r.Name)];
        if (pv.Status?.Phase != "Available") return [];
        var cls = pv.Spec?.StorageClassName ?? "";
        return claims.Cache.List()
            .Where(c => string.IsNullOrEmpty(c.Spec?.VolumeName) && (c.Spec?.StorageClassName ?? "") == cls)
            .Select(ReconcileRequest.For)
            .ToList();
    }

    private static IEnumerable<ReconcileRequest> VolumesFor(V1PersistentVolumeClaim pvc, IInformer<V1PersistentVolume> volumes)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (!string.IsNullOrEmpty(pvc.Spec?.VolumeName)) names.Add(pvc.Spec.VolumeName);
        foreach (var pv in volumes.Cache.List())
            if (pv.Spec?.ClaimRef is { } r && r.Name == pvc.Metadata.Name && r.NamespaceProperty == pvc.Metadata.NamespaceProperty) names.Add(pv.Metadata.Name);
        return names.Select(n => new ReconcileRequest(null, n)).ToList();
    }

    /// <summary>
    /// Lets the garbage collector track <typeparamref name="T"/> as an owner and as a dependent: dependents whose owners
    /// are all gone are deleted, and the orphan and foregroundDeletion finalizers are honoured. Adding a kind twice is harmless.
    /// </summary>
    public static IKubeControllersBuilder AddGarbageCollectedKind<T>(this IKubeControllersBuilder builder)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(IGarbageCollectedKind) && d.ImplementationType == typeof(GarbageCollectedKind<T>)))
            return builder;
        services.TryAddSingleton(sp => new GarbageCollectorGraph(sp.GetServices<IGarbageCollectedKind>()));
        services.AddSingleton<IGarbageCollectedKind, GarbageCollectedKind<T>>();
        return builder.AddController<GarbageCollectorReconciler<T>, T>(c =>
        {
            c.Named("garbagecollector-" + typeof(T).Name.ToLowerInvariant())
                .WithMaxConcurrentReconciles(Options(c.Services).ConcurrentGarbageCollectorSyncs);
            var graph = c.Services.GetRequiredService<GarbageCollectorGraph>();
            foreach (var kind in graph.Kinds) kind.AddWatchTo(c, graph);
        });
    }

    private static ControllerManagerOptions Options(IServiceProvider services) =>
        services.GetRequiredService<IOptions<ControllerManagerOptions>>().Value;
}

using k8s;
using k8s.Models;
using Kube.Controllers.Runtime;
using Kube.Core.WorkQueue;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kube.Controllers.Internal;

internal sealed class ControllerRegistration<TReconciler, T>(Action<ControllerBuilder<T>>? configure) : IControllerRegistration
    where TReconciler : class, IReconciler<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public IController Build(IServiceProvider services, Func<string, IWorkQueue<ReconcileRequest>> queueFactory, ControllerMetrics? metrics)
    {
        var builder = new ControllerBuilder<T>(typeof(TReconciler).Name, services);
        configure?.Invoke(builder);
        var reconciler = services.GetRequiredService<TReconciler>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger($"Kube.Controllers.{builder.Name}");
        return new Controller<T>(builder, reconciler, queueFactory(builder.Name), logger, metrics);
    }
}

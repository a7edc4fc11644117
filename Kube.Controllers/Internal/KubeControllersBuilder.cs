using k8s;
using k8s.Models;
using Kube.Controllers.Hosting;
using Kube.Controllers.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kube.Controllers.Internal;

internal sealed class KubeControllersBuilder(IServiceCollection services) : IKubeControllersBuilder
{
    public IServiceCollection Services { get; } = services;

    public IKubeControllersBuilder AddController<TReconciler, T>(Action<ControllerBuilder<T>>? configure = null)
        where TReconciler : class, IReconciler<T>
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        Services.TryAddSingleton<TReconciler>();
        Services.AddSingleton<IControllerRegistration>(new ControllerRegistration<TReconciler, T>(configure));
        return this;
    }
}

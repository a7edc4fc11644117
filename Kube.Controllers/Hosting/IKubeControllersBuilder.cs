using k8s;
using k8s.Models;
using Kube.Controllers.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.Controllers.Hosting;

/// <summary>Adds controllers to the <see cref="ControllerManager"/>; returned by <c>services.AddKubeControllers()</c>.</summary>
public interface IKubeControllersBuilder
{
    IServiceCollection Services { get; }

    /// <summary>
    /// Adds a controller whose primary kind is <typeparamref name="T"/> and whose reconciler is <typeparamref name="TReconciler"/>
    /// (registered as a singleton unless already registered). <paramref name="configure"/> runs when the manager starts.
    /// </summary>
    IKubeControllersBuilder AddController<TReconciler, T>(Action<ControllerBuilder<T>>? configure = null)
        where TReconciler : class, IReconciler<T>
        where T : class, IKubernetesObject<V1ObjectMeta>;
}

package dev.herald.http;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

import io.helidon.common.uri.UriPath;
import io.helidon.http.MethodPredicate;
import io.helidon.http.PathMatcher;
import io.helidon.webserver.http.HttpFeature;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpService;

/**
 * The routes {@link Routes#register} registers, read by handing it a stand-in {@link HttpRouting.Builder} that
 * records each method and path (services and features are asked for their routes as Helidon would ask them).
 * A way of registering that it cannot read fails loudly, so no route slips past it. For one test thread.
 */
final class RouteRecorder implements InvocationHandler {
    /** One registered route: the method ({@code ANY} for every method) and Helidon's path pattern. */
    record Route(String method, String path) {
        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    private static final Set<String> METHODS = Set.of("get", "post", "put", "delete", "head", "options", "trace",
                                                      "patch", "any");
    /** Builder calls that register no route. */
    private static final Set<String> NO_ROUTE = Set.of("addFilter", "error", "maxReRouteCount", "security");

    private final List<Route> routes;
    private final String prefix;

    private RouteRecorder(List<Route> routes, String prefix) {
        this.routes = routes;
        this.prefix = prefix;
    }

    /** Every route {@link Routes#register} registers with these parts, in order. */
    static List<Route> routes(Routes.Parts parts) {
        List<Route> routes = new ArrayList<>();
        Routes.register(builder(routes, ""), parts);
        return List.copyOf(routes);
    }

    /** Every route {@link AdminRoutes#management} registers on the management port, in order. */
    static List<Route> managementRoutes(Routes.Parts parts) {
        List<Route> routes = new ArrayList<>();
        AdminRoutes.management(builder(routes, ""), parts);
        return List.copyOf(routes);
    }

    private static HttpRouting.Builder builder(List<Route> routes, String prefix) {
        return (HttpRouting.Builder) Proxy.newProxyInstance(RouteRecorder.class.getClassLoader(),
                                                            new Class<?>[] {HttpRouting.Builder.class},
                                                            new RouteRecorder(routes, prefix));
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) {
        Object[] a = args == null ? new Object[0] : args;
        String name = method.getName();
        if (method.getDeclaringClass() == Object.class) {
            return switch (name) {
                case "equals" -> System.identityHashCode(proxy) == System.identityHashCode(a[0]);
                case "hashCode" -> System.identityHashCode(proxy);
                default -> "RouteRecorder(" + prefix + ")";
            };
        }
        if (name.equals("register")) {
            boolean under = a.length > 0 && a[0] instanceof String;
            HttpRouting.Builder rules = builder(routes, under ? join(prefix, (String) a[0]) : prefix);
            for (int i = under ? 1 : 0; i < a.length; i++) {
                for (Object service : flatten(a[i])) {
                    ((HttpService) service).routing(rules);
                }
            }
            return proxy;
        }
        if (METHODS.contains(name) && method.getParameterCount() > 0) {
            String path = a.length > 0 && a[0] instanceof String p ? join(prefix, p) : prefix.isEmpty() ? "/" : prefix;
            routes.add(new Route(name.toUpperCase(Locale.ROOT), path));
            return proxy;
        }
        if (name.equals("route") && a.length == 3 && a[0] instanceof io.helidon.http.Method m && a[1] instanceof String p) {
            routes.add(new Route(m.text(), join(prefix, p)));
            return proxy;
        }
        if (name.equals("route") && a.length == 3 && a[0] instanceof MethodPredicate methods
            && a[1] instanceof PathMatcher matcher) {
            // a matcher cannot be read back; the only one Herald uses (static content) takes every path below
            String any = join(prefix, "/*");
            if (!matcher.match(UriPath.create(join(prefix, "/" + UUID.randomUUID() + "/x.y"))).accepted()) {
                throw new AssertionError("RouteRecorder cannot read the path matcher " + matcher + " under " + prefix);
            }
            methods.acceptedMethods().forEach(m -> routes.add(new Route(m.text(), any)));
            return proxy;
        }
        if (name.equals("addFeature")) {
            for (Object feature : flatten(a[0])) {
                ((HttpFeature) feature).setup((HttpRouting.Builder) proxy);
            }
            return proxy;
        }
        if (NO_ROUTE.contains(name)) {
            return proxy;
        }
        throw new AssertionError("RouteRecorder cannot read HttpRouting.Builder." + name
                                 + "; teach it, so that the routes registered this way are checked too");
    }

    /** Services or features given as themselves, arrays, lists or suppliers. */
    private static List<Object> flatten(Object arg) {
        List<Object> out = new ArrayList<>();
        if (arg instanceof Object[] array) {
            for (Object item : array) {
                out.addAll(flatten(item));
            }
        } else if (arg instanceof List<?> list) {
            for (Object item : list) {
                out.addAll(flatten(item));
            }
        } else if (arg instanceof Supplier<?> supplier && !(arg instanceof HttpService) && !(arg instanceof HttpFeature)) {
            out.add(supplier.get());
        } else {
            out.add(arg);
        }
        return out;
    }

    /** Helidon's joining of a service's path to the path it was registered under, without a trailing slash. */
    private static String join(String prefix, String path) {
        String base = prefix.equals("/") ? "" : prefix;
        String joined = path.isEmpty() || path.equals("/") ? base
                : base + (path.startsWith("/") ? path : "/" + path);
        if (joined.isEmpty()) {
            return "/";
        }
        return joined.length() > 1 && joined.endsWith("/") ? joined.substring(0, joined.length() - 1) : joined;
    }
}

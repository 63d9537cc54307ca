package dev.herald.http;

/** {@link DirectStreamContractTest}'s tests with every stream going through Helidon's routing. */
class RoutedStreamContractTest extends DirectStreamContractTest {
    @Override
    boolean direct() {
        return false;
    }
}

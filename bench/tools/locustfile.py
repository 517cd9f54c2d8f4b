# The seed study's user model for locust (bench/scenarios/users.mjs --generator locust): each user
# sends GET / and thinks a uniform 5-15 s before the next request.
from locust import FastHttpUser, task, between


class SeedUser(FastHttpUser):
    wait_time = between(5, 15)

    @task
    def index(self):
        self.client.get("/")
